// ArgusWeights module.
