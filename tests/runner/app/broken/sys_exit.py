# expect: the Python config called sys.exit(0)
import sys

_base_ = ["../../../../examples/digits/cnn.yaml"]
sys.exit(0)
