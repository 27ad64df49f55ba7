// ArgusModels module.
