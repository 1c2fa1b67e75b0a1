# The digits run written the way an MMEngine user writes configs: a Python file that inherits
# the YAML one and changes a few values. It loads with the same rules as mmengine's Config.
#   regwire train examples/digits/cnn_mmengine_style.py
_base_ = ["./cnn.yaml"]

model = dict(channels=8)  # merged into the base's model: type and hidden are kept
optim_wrapper = dict(optimizer=dict(_delete_=True, type="SGD", lr=0.1, momentum=0.9))
train_cfg = dict(max_epochs=_base_.train_cfg.max_epochs // 2)
work_dir = "work_dirs/digits_mmengine_style"
