"""An app and its tests, written with regwire's pytest plugin (:mod:`runner.testing`)."""
