// ArgusMask module.
