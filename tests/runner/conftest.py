"""A tiny BERT built from a config (no download) and a small labelled data set."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

WORDS = {
    "sport": "match goal team league coach score win player season cup",
    "tech": "software chip phone data cloud code app network robot device",
    "money": "bank market shares profit loan budget tax price trade fund",
}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        "the",
        "a",
        "of",
        "and",
        "in",
        "today",
        "news",
    ]
    vocab += sorted({w for words in WORDS.values() for w in words.split()})
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab=str(folder / "vocab.txt"))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertForSequenceClassification(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def make_rows(n_per_class: int = 40, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for label, words in WORDS.items():
        pool = words.split()
        for i in range(n_per_class):
            body = " ".join(rng.choice(pool) for _ in range(rng.randint(4, 12)))
            rows.append((f"the news {body} {i}", label))
    rng.shuffle(rows)
    return rows


def write_csv(path: Path, rows, header=("text", "label")) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


PLAN = """# A plan for the runner tests
schema: ventureplan/1
name: Tiny runner test   # a comment that must survive
start: 2027-01-04
team:
  - {{id: ml, title: ML engineer, headcount: 1, monthly_cost: 1000}}

goals:
  - id: g-quality
    statement: Tag texts into three topics at macro-F1 of at least 0.5 on held-out data
    metric: macro_f1
    target: 0.5
    deadline: 2027-03-31
    owner: ml
    relevant_to: It is a test
  - id: g-speed
    statement: Train faster than one sample per second on the test machine
    metric: samples_per_second
    target: 1
    direction: ">="
    deadline: 2027-03-31
    owner: ml
    relevant_to: It is a test
routes:
  - id: tiny
    chosen: true
    model: {model}
    dataset:
      source: {data}
      text: text
      label: label
    hyperparameters: {{learning_rate: 3.0e-3, batch_size: 8, epochs: {epochs}, max_length: 32, seed: 7, patience: 4}}
    compute: {{device: cpu, price_per_hour: 2.0}}
    measures: [g-quality, g-speed]
tasks:
  - id: train
    name: Train
    owner: ml
    route: tiny
    estimate: {{optimistic: 1, likely: 2, pessimistic: 3}}
measured: []    # written by ventureplan run

# trailing comment
"""


@pytest.fixture
def runner_plan(tmp_path, tiny_model):
    data = write_csv(tmp_path / "data.csv", make_rows())
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN.format(model=tiny_model, data=data.name, epochs=12))
    return path
