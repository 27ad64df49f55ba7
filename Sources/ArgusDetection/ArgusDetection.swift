// ArgusDetection module.
