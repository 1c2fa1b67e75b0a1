"""A small CNN on scikit-learn's bundled 8x8 digits: regwire's main-job example."""
