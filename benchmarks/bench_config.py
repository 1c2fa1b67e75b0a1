"""Config benchmark: a 3-file ``_base_`` chain (Python and YAML) plus 10 dotted overrides.

Each system loads the same chain (``top`` inherits ``mid``, which inherits ``base``), applies
the same 10 overrides and returns a plain dict:

- regwire: ``Config.fromfile(top, cfg_options=[...]).to_dict()`` (overrides as strings, parsed
  and checked key by key);
- mmengine: ``Config.fromfile(top)``, ``merge_from_dict({...})`` with the values already parsed,
  ``to_dict()``;
- Hydra: ``compose("top", overrides=[...])`` with ``defaults`` lists in place of ``_base_``, then
  ``OmegaConf.to_container``;
- OmegaConf: the three YAML files loaded and merged by hand, ``OmegaConf.update`` per override.

With ``--tree FOLDER``, it also loads every config file under FOLDER (a checkout's ``configs/``,
say) with regwire and mmengine and reports the total time of each.

Run it in the benchmark environment (``benchmarks/run.sh config``); systems that are not
installed are left out. Each figure is the best of 3 medians (``_timing.per_call_us``), since
mmengine writes temporary files and its times swing with the machine's disk load. Prints a
markdown table and ratios to regwire.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from _timing import per_call_us, row

from container.config import Config

ROUNDS = 3


def measure(func: Any) -> float:
    """Best of ``ROUNDS`` medians of one call of ``func``, in microseconds."""
    return min(per_call_us(func) for _ in range(ROUNDS))


HAVE = {name: importlib.util.find_spec(name) is not None for name in ("mmengine", "hydra")}

BASE: dict[str, Any] = {
    "model": {
        "type": "FasterRCNN",
        "data_preprocessor": {
            "type": "DetDataPreprocessor",
            "mean": [123.675, 116.28, 103.53],
            "std": [58.395, 57.12, 57.375],
            "bgr_to_rgb": True,
            "pad_size_divisor": 32,
        },
        "backbone": {
            "type": "ResNet",
            "depth": 50,
            "num_stages": 4,
            "out_indices": [0, 1, 2, 3],
            "frozen_stages": 1,
            "norm_cfg": {"type": "BN", "requires_grad": True},
            "norm_eval": True,
            "style": "pytorch",
            "init_cfg": {"type": "Pretrained", "checkpoint": "torchvision://resnet50"},
        },
        "neck": {
            "type": "FPN",
            "in_channels": [256, 512, 1024, 2048],
            "out_channels": 256,
            "num_outs": 5,
        },
        "rpn_head": {
            "type": "RPNHead",
            "in_channels": 256,
            "feat_channels": 256,
            "anchor_generator": {
                "type": "AnchorGenerator",
                "scales": [8],
                "ratios": [0.5, 1.0, 2.0],
                "strides": [4, 8, 16, 32, 64],
            },
            "loss_cls": {"type": "CrossEntropyLoss", "use_sigmoid": True, "loss_weight": 1.0},
            "loss_bbox": {"type": "L1Loss", "loss_weight": 1.0},
        },
        "test_cfg": {
            "rpn": {"nms_pre": 1000, "max_per_img": 1000, "min_bbox_size": 0},
            "rcnn": {"score_thr": 0.05, "max_per_img": 100},
        },
    },
    "dataset_type": "CocoDataset",
    "data_root": "data/coco/",
    "train_dataloader": {
        "batch_size": 2,
        "num_workers": 2,
        "persistent_workers": True,
        "sampler": {"type": "DefaultSampler", "shuffle": True},
        "dataset": {
            "type": "CocoDataset",
            "data_root": "data/coco/",
            "ann_file": "annotations/instances_train2017.json",
            "data_prefix": {"img": "train2017/"},
            "filter_cfg": {"filter_empty_gt": True, "min_size": 32},
            "pipeline": [
                {"type": "LoadImageFromFile"},
                {"type": "LoadAnnotations", "with_bbox": True},
                {"type": "Resize", "scale": [1333, 800], "keep_ratio": True},
                {"type": "RandomFlip", "prob": 0.5},
                {"type": "PackDetInputs"},
            ],
        },
    },
    "val_dataloader": {
        "batch_size": 1,
        "num_workers": 2,
        "sampler": {"type": "DefaultSampler", "shuffle": False},
        "dataset": {
            "type": "CocoDataset",
            "data_root": "data/coco/",
            "ann_file": "annotations/instances_val2017.json",
            "test_mode": True,
        },
    },
    "val_evaluator": {"type": "CocoMetric", "metric": "bbox", "format_only": False},
}
MID: dict[str, Any] = {
    "train_cfg": {"type": "EpochBasedTrainLoop", "max_epochs": 12, "val_interval": 1},
    "val_cfg": {"type": "ValLoop"},
    "param_scheduler": [
        {"type": "LinearLR", "start_factor": 0.001, "by_epoch": False, "begin": 0, "end": 500},
        {"type": "MultiStepLR", "begin": 0, "end": 12, "by_epoch": True, "milestones": [8, 11]},
    ],
    "optim_wrapper": {
        "type": "OptimWrapper",
        "optimizer": {"type": "SGD", "lr": 0.02, "momentum": 0.9, "weight_decay": 0.0001},
    },
    "default_hooks": {
        "timer": {"type": "IterTimerHook"},
        "logger": {"type": "LoggerHook", "interval": 50},
        "param_scheduler": {"type": "ParamSchedulerHook"},
        "checkpoint": {"type": "CheckpointHook", "interval": 1},
        "sampler_seed": {"type": "DistSamplerSeedHook"},
    },
    "env_cfg": {
        "cudnn_benchmark": False,
        "mp_cfg": {"mp_start_method": "fork", "opencv_num_threads": 0},
        "dist_cfg": {"backend": "nccl"},
    },
    "randomness": {"seed": None, "deterministic": False},
    "log_level": "INFO",
    "load_from": None,
    "resume": False,
    "work_dir": "./work_dirs/faster-rcnn",
    "model": {"roi_head": {"type": "StandardRoIHead", "bbox_head": {"num_classes": 80}}},
}
TOP: dict[str, Any] = {
    "model": {"backbone": {"depth": 101, "init_cfg": {"checkpoint": "torchvision://resnet101"}}},
    "optim_wrapper": {
        "_delete_": True,
        "type": "AmpOptimWrapper",
        "optimizer": {"type": "AdamW", "lr": 0.0001, "weight_decay": 0.05},
    },
    "train_cfg": {"max_epochs": 24},
}
OVERRIDES = [
    "model.backbone.depth=50",
    "model.rpn_head.anchor_generator.scales=[4, 8]",
    "optim_wrapper.optimizer.lr=0.01",
    "train_dataloader.batch_size=4",
    "train_dataloader.dataset.pipeline.2.scale=[1000, 600]",
    "train_cfg.max_epochs=36",
    "default_hooks.checkpoint.interval=2",
    "env_cfg.cudnn_benchmark=true",
    "randomness.seed=42",
    "work_dir=./work_dirs/bench",
]
PARSED = {key: yaml.safe_load(value) for key, value in (o.split("=", 1) for o in OVERRIDES)}


def without_delete(value: Any) -> Any:
    """``value`` without ``_delete_`` keys (Hydra and OmegaConf have no such key)."""
    if isinstance(value, dict):
        return {k: without_delete(v) for k, v in value.items() if k != "_delete_"}
    return value


def write_chains(folder: Path) -> dict[str, Path]:
    """Write the chain as Python, YAML, Hydra and plain-YAML files; return the top files."""
    chain = [("base", BASE, None), ("mid", MID, "base"), ("top", TOP, "mid")]
    for name, data, parent in chain:
        head = f"_base_ = './{parent}.py'\n" if parent else ""
        (folder / f"{name}.py").write_text(head + Config(data).pretty_text, encoding="utf-8")
        yaml_data = {"_base_": f"./{parent}.yaml", **data} if parent else data
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(yaml_data, sort_keys=False))
        hydra = folder / "hydra"
        hydra.mkdir(exist_ok=True)
        defaults = {"defaults": [parent, "_self_"]} if parent else {}
        text = yaml.safe_dump({**defaults, **without_delete(data)}, sort_keys=False)
        (hydra / f"{name}.yaml").write_text(text)
        (hydra / f"{name}.plain.yaml").write_text(yaml.safe_dump(without_delete(data)))
    return {"py": folder / "top.py", "yaml": folder / "top.yaml", "hydra": folder / "hydra"}


def regwire(top: Path) -> dict[str, Any]:
    return Config.fromfile(top, cfg_options=OVERRIDES).to_dict()


def mmengine(top: Path) -> dict[str, Any]:
    from mmengine.config import Config as MMConfig

    cfg = MMConfig.fromfile(str(top))
    cfg.merge_from_dict(PARSED)
    result: dict[str, Any] = cfg.to_dict()
    return result


def omegaconf_by_hand(folder: Path) -> Any:
    from omegaconf import OmegaConf

    cfg = OmegaConf.merge(
        *(OmegaConf.load(folder / f"{name}.plain.yaml") for name in ("base", "mid", "top"))
    )
    for key, value in PARSED.items():
        OmegaConf.update(cfg, key, value, merge=False)
    return OmegaConf.to_container(cfg)


def load_tree(folder: Path) -> None:
    """Print the time to load every config under ``folder`` with regwire and with mmengine."""
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".py", ".yaml", ".yml", ".json"))
    loaders: dict[str, Any] = {"regwire": lambda p: Config.fromfile(p).to_dict()}
    if HAVE["mmengine"]:
        from mmengine.config import Config as MMConfig

        loaders["mmengine"] = lambda p: MMConfig.fromfile(str(p)).to_dict()
    totals = {}
    for system, load in loaders.items():
        totals[system] = sum(measure(lambda p=path, f=load: f(p)) for path in files)
    print(f"\n| load all {len(files)} configs under {folder.name}/ | total | ratio to regwire |")
    print("|---|---|---|")
    for system, total in totals.items():
        print(row(system, total / 1000, "ms", totals["regwire"] / 1000))


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tops = write_chains(Path(name))
        results: list[tuple[str, float]] = []
        for variant in ("py", "yaml"):
            results.append((f"regwire, {variant}", measure(lambda v=variant: regwire(tops[v]))))
            if HAVE["mmengine"]:
                assert mmengine(tops[variant]) == regwire(tops[variant]), variant
                results.append(
                    (f"mmengine, {variant}", measure(lambda v=variant: mmengine(tops[v])))
                )
        if HAVE["hydra"]:
            from hydra import compose, initialize_config_dir
            from omegaconf import OmegaConf

            with initialize_config_dir(str(tops["hydra"]), version_base=None):

                def hydra() -> Any:
                    cfg = compose("top", overrides=OVERRIDES)
                    return OmegaConf.to_container(cfg)

                results.append(("Hydra compose, yaml", measure(hydra)))
            results.append(
                ("OmegaConf by hand, yaml", measure(lambda: omegaconf_by_hand(tops["hydra"])))
            )
    baselines = {variant: dict(results)[f"regwire, {variant}"] for variant in ("py", "yaml")}
    print("| load 3-file chain + 10 overrides | median | ratio to regwire |")
    print("|---|---|---|")
    for label, value in results:
        print(row(label, value / 1000, "ms", baselines[label.rsplit(", ", 1)[1]] / 1000))
    if "--tree" in sys.argv:
        load_tree(Path(sys.argv[sys.argv.index("--tree") + 1]))


if __name__ == "__main__":
    main()
