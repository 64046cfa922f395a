"""The denoising modes (``denoise`` key) as one registry of small strategy objects.

Each mode carries its behaviour: what trains the noise recognizers, whether the
sequence weights carry the recommender loss's gradient into them, the function that
turns their outputs into training weights, or the class that weights rows without
them. The trainer, validation, the mode table of docs/modes.md and the Ray Tune
search-space check all read :data:`MODES`; a new variant is an entry here, not a
branch elsewhere. Which of our keys each mode reads is declared with the keys
(:mod:`recbole_atjt.keys`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from recbole_atjt.trainer.loss_denoising import (
    GroundTruthWeights,
    ReweightedLoss,
    RowWeighting,
    TruncatedLoss,
)
from recbole_atjt.trainer.weight_norms import as_configured, mean_clipped

# What trains the recognizers.
AUXILIARY = "auxiliary"  # the corrupted-vs-original task alone
RECOMMENDER = "recommender"  # the recommender loss L_R alone, through the weights
BOTH = "both"  # both at once (joint training)
NEITHER = "neither"  # no recognizers

# When the auxiliary task trains them.
JOINT = "joint"  # G-1 auxiliary batches beside every recommender batch
BEFORE = "before"  # before the recommender trains, then frozen

# How the weights are normalised: raw recognizer outputs and the config -> training weights.
CONFIGURED = as_configured  # as the weight_norm key says
MEAN_CLIPPED = mean_clipped  # detached batch mean 1, clipped to [weight_min, weight_max]

Normalisation = Callable[[torch.Tensor, Mapping[str, Any]], torch.Tensor]


@dataclass(frozen=True)
class DenoiseMode:
    """One value of the ``denoise`` key."""

    name: str
    trains_recognizers: str  # AUXILIARY, RECOMMENDER, BOTH or NEITHER
    auxiliary_task: str | None  # JOINT, BEFORE, or None: no auxiliary batches
    weight_gradient: bool  # L_R's gradient reaches the recognizers through the weights
    normalisation: Normalisation | None  # CONFIGURED, MEAN_CLIPPED; None: no recognizers
    row_weighting: type[RowWeighting] | None  # row weights without recognizers
    recognizers_text: str  # docs/modes.md: what trains the recognizers
    weights_text: str  # docs/modes.md: where the weights come from

    @property
    def uses_recognizers(self) -> bool:
        return self.trains_recognizers != NEITHER

    @property
    def reweights(self) -> bool:
        """Whether the mode weights the recommender's rows at all (every mode but none)."""
        return self.uses_recognizers or self.row_weighting is not None

    @property
    def joint_auxiliary(self) -> bool:
        """Whether auxiliary batches train the recognizers beside every recommender batch."""
        return self.auxiliary_task == JOINT

    @property
    def pretrains_recognizers(self) -> bool:
        """Whether the recognizers learn the auxiliary task before the recommender trains."""
        return self.auxiliary_task == BEFORE

    @property
    def steps_recognizers(self) -> bool:
        """Whether each recommender step also steps the round's recognizer."""
        return self.weight_gradient or self.joint_auxiliary

    @property
    def needs_ground_truth(self) -> bool:
        """Whether the mode cannot run without the dataset's ``.noise`` file."""
        return self.row_weighting is not None and self.row_weighting.needs_ground_truth

    @property
    def keys(self) -> tuple[str, ...]:
        """Our keys this mode reads beyond the common ones (declared with the keys)."""
        from recbole_atjt.keys import keys_read_by  # the key table reads this registry

        return keys_read_by(self.name)


def _mode(name: str, **fields) -> DenoiseMode:
    return DenoiseMode(name=name, **fields)


MODES: dict[str, DenoiseMode] = {
    m.name: m
    for m in (
        _mode(
            "none",
            trains_recognizers=NEITHER,
            auxiliary_task=None,
            weight_gradient=False,
            normalisation=None,
            row_weighting=None,
            recognizers_text="no recognizers: plain RecBole training (the same parameters as "
            "stock RecBole for the same seed and config)",
            weights_text="-",
        ),
        _mode(
            "atjt",
            trains_recognizers=BOTH,
            auxiliary_task=JOINT,
            weight_gradient=True,
            normalisation=CONFIGURED,
            row_weighting=None,
            recognizers_text="the auxiliary task (corrupted vs original) **and** the recommender "
            "loss, jointly: `L = L_R + alpha/(G-1) * sum_j L_D_j` (paper)",
            weights_text="with gradient; `weight_norm`",
        ),
        _mode(
            "dnr",
            trains_recognizers=AUXILIARY,
            auxiliary_task=BEFORE,
            weight_gradient=False,
            normalisation=CONFIGURED,
            row_weighting=None,
            recognizers_text="the auxiliary task alone, before the recommender trains, until "
            "its AUC on a held-out slice stops improving (at most `dnr_pretrain_epochs` "
            "passes); then frozen",
            weights_text="detached; `weight_norm`",
        ),
        _mode(
            "odnr",
            trains_recognizers=AUXILIARY,
            auxiliary_task=JOINT,
            weight_gradient=False,
            normalisation=MEAN_CLIPPED,
            row_weighting=None,
            recognizers_text="the auxiliary task alone, alongside the recommender (online DNR: "
            "the same auxiliary batches as `atjt`, no gradient from L_R)",
            weights_text="detached, batch mean 1, clipped to [`weight_min`, `weight_max`]",
        ),
        _mode(
            "wat",
            trains_recognizers=RECOMMENDER,
            auxiliary_task=None,
            weight_gradient=True,
            normalisation=CONFIGURED,
            row_weighting=None,
            recognizers_text="the recommender loss alone (no auxiliary batches; `alpha` has "
            "no effect)",
            weights_text="with gradient; `weight_norm`",
        ),
        _mode(
            "tce",
            trains_recognizers=NEITHER,
            auxiliary_task=None,
            weight_gradient=False,
            normalisation=None,
            row_weighting=TruncatedLoss,
            recognizers_text="no recognizers. T-CE (WSDM 2021): each batch drops its "
            "highest-loss positive rows; the share rises linearly from 0 to `drop_rate` over "
            "`num_gradual` epochs",
            weights_text="kept rows share the loss",
        ),
        _mode(
            "rce",
            trains_recognizers=NEITHER,
            auxiliary_task=None,
            weight_gradient=False,
            normalisation=None,
            row_weighting=ReweightedLoss,
            recognizers_text="no recognizers. R-CE (WSDM 2021): positives weighted by "
            "`pred**beta`, negatives by `(1-pred)**beta`; for CE / BPR losses "
            "`exp(-beta * loss)` divided by its batch mean",
            weights_text="detached",
        ),
        _mode(
            "oracle",
            trains_recognizers=NEITHER,
            auxiliary_task=None,
            weight_gradient=False,
            normalisation=None,
            row_weighting=GroundTruthWeights,
            recognizers_text="no recognizers. The ceiling of sequence reweighting: a sequence "
            "whose target is an interaction the dataset's `.noise` file marks injected gets "
            "weight 0, every other 1 (its sampled negatives alike); needs that file",
            weights_text="detached, batch mean 1",
        ),
    )
}


def __getattr__(name: str) -> Any:
    """``MODE_SPECIFIC_KEYS``: our keys that only some modes read (a search over one of them
    is refused for the others), from the key table, which itself reads :data:`MODES`."""
    if name == "MODE_SPECIFIC_KEYS":
        from recbole_atjt.keys import MODE_SPECIFIC_KEYS

        return MODE_SPECIFIC_KEYS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def mode(name: str) -> DenoiseMode:
    """The registered mode ``name`` (validation has checked it exists)."""
    return MODES[name.lower()]


def mode_table() -> str:
    """The mode table of docs/modes.md, rendered from :data:`MODES` (a test keeps them equal)."""
    from recbole_atjt.rendering import markdown_table

    rows = [[f"`{m.name}`", m.recognizers_text, m.weights_text] for m in MODES.values()]
    return "\n".join(markdown_table(["mode", "what trains the recognizers", "weights"], rows))
