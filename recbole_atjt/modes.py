"""The denoising modes (``denoise`` key) as one registry of small strategy objects.

Each mode says what trains the noise recognizers, whether the sequence weights
carry the recommender loss's gradient into them, how the weights are
normalised, and which of our keys it reads. Validation, the trainer, the
mode table of docs/modes.md and the Ray Tune search-space check all read
:data:`MODES`; a new variant is an entry here, not a branch elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

# What trains the recognizers.
AUXILIARY = "auxiliary"  # the corrupted-vs-original task alone
RECOMMENDER = "recommender"  # the recommender loss L_R alone, through the weights
BOTH = "both"  # both at once (joint training)
NEITHER = "neither"  # no recognizers

# When the auxiliary task trains them.
JOINT = "joint"  # G-1 auxiliary batches beside every recommender batch
BEFORE = "before"  # before the recommender trains, then frozen

# How the weights are normalised.
CONFIGURED = "weight_norm"  # as the weight_norm key says
MEAN_CLIPPED = "mean_clipped"  # detached batch mean 1, clipped to [weight_min, weight_max]

RECOGNIZER_KEYS = (
    "atjt_groups",
    "noise_learning_rate",
    "noise_optimizer",
    "noise_sparse_gradient",
    "compile_recognizer",
    "noise_embedding_size",
    "noise_attention_hidden",
    "noise_output_hidden",
    "noise_dropout",
    "recognizer_mode",
)
AUXILIARY_KEYS = ("noise_ratio", "replace_count", "corruption_target", "corruption_sampling")


@dataclass(frozen=True)
class DenoiseMode:
    """One value of the ``denoise`` key."""

    name: str
    trains_recognizers: str  # AUXILIARY, RECOMMENDER, BOTH or NEITHER
    auxiliary_task: str | None  # JOINT, BEFORE, or None: no auxiliary batches
    weight_gradient: bool  # L_R's gradient reaches the recognizers through the weights
    normalisation: str | None  # CONFIGURED, MEAN_CLIPPED, or None (no recognizer weights)
    loss_weights: str | None  # 'tce' / 'rce' / 'oracle': row weights without recognizers
    keys: tuple[str, ...]  # our keys this mode reads (beyond the common ones)
    recognizers_text: str  # docs/modes.md: what trains the recognizers
    weights_text: str  # docs/modes.md: where the weights come from

    @property
    def uses_recognizers(self) -> bool:
        return self.trains_recognizers != NEITHER

    @property
    def reweights(self) -> bool:
        """Whether the mode weights the recommender's rows at all (every mode but none)."""
        return self.uses_recognizers or self.loss_weights is not None

    @property
    def steps_recognizers(self) -> bool:
        """Whether each recommender step also steps the round's recognizer."""
        return self.weight_gradient or self.auxiliary_task == JOINT


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
            loss_weights=None,
            keys=(),
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
            loss_weights=None,
            keys=(
                *RECOGNIZER_KEYS,
                *AUXILIARY_KEYS,
                "alpha",
                "alpha_scale",
                "weight_norm",
                "recognizer_reset",
            ),
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
            loss_weights=None,
            keys=(
                *RECOGNIZER_KEYS,
                *AUXILIARY_KEYS,
                "weight_norm",
                "dnr_pretrain_epochs",
                "dnr_holdout",
            ),
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
            loss_weights=None,
            keys=(
                *RECOGNIZER_KEYS,
                *AUXILIARY_KEYS,
                "alpha",
                "alpha_scale",
                "recognizer_reset",
                "weight_min",
                "weight_max",
            ),
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
            loss_weights=None,
            keys=(*RECOGNIZER_KEYS, "weight_norm", "recognizer_reset"),
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
            loss_weights="tce",
            keys=("drop_rate", "num_gradual"),
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
            loss_weights="rce",
            keys=("beta",),
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
            loss_weights="oracle",
            keys=(),
            recognizers_text="no recognizers. The ceiling of sequence reweighting: a sequence "
            "whose target is an interaction the dataset's `.noise` file marks injected gets "
            "weight 0, every other 1 (its sampled negatives alike); needs that file",
            weights_text="detached, batch mean 1",
        ),
    )
}

# Our keys that only some modes read (a search over one of them is refused for the others).
MODE_SPECIFIC_KEYS = tuple(sorted({k for m in MODES.values() for k in m.keys}))


def mode(name: str) -> DenoiseMode:
    """The registered mode ``name`` (validation has checked it exists)."""
    return MODES[name.lower()]


def mode_table() -> str:
    """The mode table of docs/modes.md, rendered from :data:`MODES` (a test keeps them equal)."""
    lines = ["| mode | what trains the recognizers | weights |", "|---|---|---|"]
    lines += [f"| `{m.name}` | {m.recognizers_text} | {m.weights_text} |" for m in MODES.values()]
    return "\n".join(lines)
