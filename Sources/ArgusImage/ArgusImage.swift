// ArgusImage module.
