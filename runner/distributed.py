"""Which process this is: made once when the run starts and handed to every step, so no
step asks torch.distributed again (and a single process needs no process group at all)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world: int = 1  # processes, each with its own device
    ddp: bool = False  # a process group is joined and DDP averages the gradients
    local_rank: int = 0  # the device index on this machine

    @property
    def main(self) -> bool:
        """Rank 0 alone validates, writes checkpoints, evaluates and writes the record."""
        return self.rank == 0


SINGLE = Distributed()


def join(device: Any) -> Distributed:
    """Join the process group when started by torchrun (WORLD_SIZE > 1); else one process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return SINGLE
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Distributed(dist.get_rank(), world, True, int(os.environ.get("LOCAL_RANK", "0")))


def leave(processes: Distributed) -> None:
    """Leave the process group once training is over; rank 0 goes on alone."""
    if processes.ddp:
        import torch.distributed as dist

        dist.destroy_process_group()
