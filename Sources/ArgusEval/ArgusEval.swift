// ArgusEval module.
