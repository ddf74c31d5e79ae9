"""Training throughput: ventureplan's runner against the Hugging Face Trainer and against
the common recipe of padding every text to 512 tokens in fp32.

Same machine, same model (builtin:minilm-l6), same data slice of builtin:bbc-news, same
hyperparameters, same number of optimiser steps, one process. Only the optimiser work is
timed (no evaluation, saving or logging inside the window). Each then predicts the same
test set, so the macro-F1 values can be compared.

    python bench/train.py                 # CPU, about 10 minutes on 2 cores
    python bench/train.py --steps 20      # shorter
Needs the runner and bench extras: pip install -e '.[runner,bench]'
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ventureplan.planner.model import Dataset
from ventureplan.runner import data as data_mod
from ventureplan.runner import evaluate
from ventureplan.runner import model as model_mod
from ventureplan.runner.train import Config, encode, predict, seed_everything, train


def fresh(classes):  # type: ignore[no-untyped-def]
    seed_everything(13)
    return model_mod.load("builtin:minilm-l6", Path("."), len(classes), dict(enumerate(classes)))


def bench_ours(d, cfg, device):  # type: ignore[no-untyped-def]
    tok, model = fresh(d.classes)
    tr = encode(tok, d.train.texts, d.train.labels, cfg.max_length)
    va = encode(tok, d.validation.texts[:8], d.validation.labels[:8], cfg.max_length)
    m = train(model, tok, tr, va, cfg, device, lambda p, y: 0.0, Path("/tmp/vp-bench-ckpt"))
    te = encode(tok, d.test.texts, d.test.labels, cfg.max_length)
    f1 = evaluate.metric(
        "macro_f1", np.asarray(d.test.labels), predict(model, te, cfg, tok.pad_token_id, device)
    )
    return m.samples / m.seconds, m.tokens / m.seconds, f1


def bench_trainer(d, cfg, device):  # type: ignore[no-untyped-def]
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    tok, model = fresh(d.classes)
    enc = tok(d.train.texts, truncation=True, max_length=cfg.max_length)
    rows = [
        {"input_ids": i, "attention_mask": a, "labels": y}
        for i, a, y in zip(enc["input_ids"], enc["attention_mask"], d.train.labels, strict=True)
    ]
    args = TrainingArguments(
        output_dir="/tmp/vp-bench-trainer",
        per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate,
        weight_decay=cfg.weight_decay,
        warmup_steps=int(cfg.warmup_ratio * cfg.max_steps),
        max_steps=cfg.max_steps,
        lr_scheduler_type="linear",
        train_sampling_strategy="group_by_length",
        seed=cfg.seed,
        save_strategy="no",
        eval_strategy="no",
        logging_strategy="no",
        report_to=[],
        use_cpu=device.type == "cpu",
        bf16=device.type == "cuda",
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model, args=args, train_dataset=rows, data_collator=DataCollatorWithPadding(tok)
    )
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    samples = cfg.max_steps * cfg.batch_size
    tokens = samples * np.mean([len(x) for x in enc["input_ids"]])
    te = encode(tok, d.test.texts, d.test.labels, cfg.max_length)
    f1 = evaluate.metric(
        "macro_f1", np.asarray(d.test.labels), predict(model, te, cfg, tok.pad_token_id, device)
    )
    return samples / seconds, tokens / seconds, f1


def bench_padded(d, cfg, device):  # type: ignore[no-untyped-def]
    """Pad every text to 512 in fp32, plain loop: what many tutorials do."""
    tok, model = fresh(d.classes)
    model.to(device).train()
    enc = tok(
        d.train.texts, truncation=True, max_length=512, padding="max_length", return_tensors="pt"
    )
    labels = torch.tensor(d.train.labels)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate)
    g = torch.Generator().manual_seed(cfg.seed)
    real = 0
    t0 = time.perf_counter()
    for _ in range(cfg.max_steps):
        idx = torch.randint(0, len(labels), (cfg.batch_size,), generator=g)
        out = model(
            input_ids=enc["input_ids"][idx].to(device),
            attention_mask=enc["attention_mask"][idx].to(device),
            labels=labels[idx].to(device),
        )
        out.loss.backward()
        opt.step()
        opt.zero_grad()
        real += int(enc["attention_mask"][idx].sum())
    seconds = time.perf_counter() - t0
    return cfg.max_steps * cfg.batch_size / seconds, real / seconds, float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--skip-padded", action="store_true", help="leave out the slow pad-to-512 recipe"
    )
    args = ap.parse_args()
    device = torch.device(args.device)
    d = data_mod.prepare(
        Dataset(source="builtin:bbc-news"),
        Path("."),
        seed=13,
        max_train=args.steps * args.batch_size,
    )
    cfg = Config(
        learning_rate=1e-4,
        batch_size=args.batch_size,
        epochs=1,
        max_length=args.max_length,
        seed=13,
        max_steps=args.steps,
        patience=99,
    )
    print(
        f"builtin:minilm-l6 on builtin:bbc-news, {args.steps} steps × batch {args.batch_size}, "
        f"max_length {args.max_length}, {device}, torch {torch.__version__}, {torch.get_num_threads()} threads\n"
    )
    print("| recipe | samples/s | non-padding tokens/s | test macro-F1 | ventureplan vs it |")
    print("|---|---:|---:|---:|---:|")
    ours = bench_ours(d, cfg, device)
    for name, run in (
        ("ventureplan runner", lambda: ours),
        (
            "Hugging Face Trainer (dynamic padding, group_by_length)",
            lambda: bench_trainer(d, cfg, device),
        ),
        ("pad to 512, fp32, plain loop", lambda: bench_padded(d, cfg, device)),
    ):
        if args.skip_padded and name.startswith("pad"):
            continue
        sps, tps, f1 = run()
        print(f"| {name} | {sps:.1f} | {tps:,.0f} | {f1:.3f} | {ours[0] / sps:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
