// ArgusServer module.
