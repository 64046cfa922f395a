"""results/README.md: every experiment page, gathered in the shape of RecBole-GNN's results."""

from __future__ import annotations

import glob
import json
import os
import re

from experiments.design import NOISE_RATIOS, REPLACE_COUNTS
from experiments.diagnosis import PARTIAL_PAGE
from experiments.first_screen import baselines_line, paired_differences, screen_lines
from experiments.report import models_not_run
from experiments.runner import RUN_FORMAT, budget_file
from recbole_atjt.paths import PACKAGE_DIR

ORDER = (
    "cleaning",
    "cleaning-screening",
    "diagnosis",
    "tuning",
    "table2",
    "table4",
    "fig4",
    "table3",
    "table5",
    "robustness",
)
TITLES = {
    "cleaning": "Interaction cleaning: detectors against ceilings from ground truth",
    "cleaning-screening": "Cleaning screening: each detector's variant and share, on validation",
    "diagnosis": "Diagnosis: ATJT's variants and the other denoisers, clean vs 20% injected noise",
    "tuning": "Tuning: Ray Tune searches behind the tuned columns",
    "table2": "Table 2: six models, base vs ATJT (paper, tuned) and the tuned best variant",
    "table4": "Table 4: base / WAT / DNR / ATJT, and ODNR / T-CE / R-CE (DCN)",
    "fig4": "Fig. 4: noise_ratio sweep (DCN + ATJT)",
    "table3": "Table 3: replace_count sweep (DCN + ATJT)",
    "table5": "Table 5: weights of original vs corrupted sequences (DCN + ATJT)",
    "robustness": "Robustness: every denoiser, clean vs injected noise",
}
FIRST_SCREEN_PLOT = "first-screen.png"
LEADERBOARD_TITLE = "recbole_atjt results"
# Pages of the code before the denoising rework, kept apart from the current ones.
DEFAULT_LOSS_DIR = "recbole-default-loss"


def _braced(values) -> str:
    return "{" + ", ".join(map(str, sorted(values))) + "}"


def run_records(out: str) -> dict[tuple[str, str], list[dict]]:
    """Every stored run record under ``out``, read once, by (experiment, dataset), in path
    order (``<experiment>/runs/<dataset>/*.json``)."""
    records: dict[tuple[str, str], list[dict]] = {}
    for path in sorted(glob.glob(os.path.join(out, "*", "runs", "*", "*.json"))):
        folder, dataset = os.path.split(os.path.dirname(path))
        with open(path, encoding="utf-8") as f:
            records.setdefault((os.path.basename(os.path.dirname(folder)), dataset), []).append(
                json.load(f)
            )
    return records


def _dataset(page: str) -> str:
    return os.path.splitext(os.path.basename(page))[0]


def _page_runs(page: str, records: dict[tuple[str, str], list[dict]]) -> list[dict]:
    """The run records behind a page (``<experiment>/<dataset>.md``)."""
    experiment = os.path.basename(os.path.dirname(page))
    return records.get((experiment, _dataset(page)), [])


def page_texts(out: str) -> dict[str, dict[str, str]]:
    """Every experiment page under ``out``, read once: experiment -> page path -> text, pages
    in path order."""
    texts: dict[str, dict[str, str]] = {}
    for name in ORDER:
        for page in sorted(glob.glob(os.path.join(out, name, "*.md"))):
            with open(page, encoding="utf-8") as f:
                texts.setdefault(name, {})[page] = f.read()
    return texts


def coverage(pages: dict[str, dict[str, str]], out: str) -> list[str]:
    """Which experiment ran on which dataset: a link per page, 'not run' elsewhere."""
    datasets = sorted({_dataset(p) for texts in pages.values() for p in texts})
    if not datasets:
        return []
    lines = ["| experiment | " + " | ".join(datasets) + " |", "|---|" + "---|" * len(datasets)]
    for name in ORDER:
        done = {_dataset(p): (p, text) for p, text in pages.get(name, {}).items()}
        cells = [_page_cell(*done[d], out) if d in done else "not run" for d in datasets]
        lines.append(f"| {TITLES[name].split(':')[0]} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _page_cell(page: str, text: str, out: str) -> str:
    """A link to the page, with the models the page says it lacks, or 'partial' where it
    says that some of its planned runs are not stored yet. The page's own words, not the
    stored runs: runs of a model can be stored before its page shows them."""
    link = f"[page]({os.path.relpath(page, out)})"
    if PARTIAL_PAGE in text:
        return f"{link} (partial)"
    lacking = models_not_run(text)
    return f"{link} ({lacking} not run)" if lacking else link


def datasets_table(records: dict[tuple[str, str], list[dict]]) -> list[str]:
    """Users, items and interactions of every dataset a stored run used."""
    stats = {}
    for (_, dataset), runs in records.items():
        clean = [r for r in runs if not (r.get("run_key") or {}).get("noise")]
        if clean:  # an injected copy has more (or other) interactions
            stats.setdefault(dataset, clean[0].get("dataset_stats") or {})
    if not stats:
        return []
    lines = ["| dataset | users | items | interactions |", "|---|---:|---:|---:|"]
    for dataset, s in sorted(stats.items()):
        row = [s.get(k, "?") for k in ("users", "items", "interactions")]
        lines.append(f"| {dataset} | " + " | ".join(map(str, row)) + " |")
    return [*lines, ""]


def digest(page_body: str) -> str:
    """A page without what the leaderboard states once (protocol, dataset sizes, budget)."""
    body = re.sub(r"^Protocol: .*\n\n", "", page_body.lstrip("\n"))
    body = re.sub(r"^- dataset: .*\n", "", body, flags=re.M)
    return "\n" + re.sub(r"```yaml\n.*?```\n\n", "", body, flags=re.S)


def _budget_files(records: dict[tuple[str, str], list[dict]]) -> list[str]:
    """The budget files the stored runs trained with."""
    budgets = {
        (run.get("run_key") or {}).get("budget") for runs in records.values() for run in runs
    }
    return sorted(os.path.relpath(budget_file(b), PACKAGE_DIR) for b in budgets if b)


EARLIER_CODE = (
    "Trained by the code before the denoising rework (stored runs without the current run "
    "format): SASRec, S3Rec and FEARec with CE loss, ATJT's weights from the eval-mode "
    "recognizer while its auxiliary loss trained the train-mode one, DNR's recognizers "
    "pretrained for one pass, FEARec's contrastive terms weighted. Kept as a record until "
    "the page is re-run; the diagnosis page measures the current code."
)


def _older_code(runs: list[dict]) -> bool:
    """Whether any of these stored runs was trained before the current run format."""
    return any((run.get("run_key") or {}).get("format") != RUN_FORMAT for run in runs)


def rebased_links(text: str, folder: str) -> str:
    """``text`` of a page in ``<out>/<folder>/`` with its relative links (pages, plots) made
    relative to ``<out>``, where the leaderboard lies."""

    def rebase(match: re.Match) -> str:
        return f"]({os.path.normpath(os.path.join(folder, match.group(1)))})"

    return re.sub(r"\]\((?!https?:|/|#)([^)\s]+)\)", rebase, text)


def kept_folders(out: str) -> list[str]:
    """A line linking every folder of ``<out>`` kept beside the experiments (runs moved out of
    a page, an experiment at other settings) whose ``README.md`` says what it holds."""
    kept = []
    for name in sorted(os.listdir(out)) if os.path.isdir(out) else []:
        readme = os.path.join(out, name, "README.md")
        if name in ORDER or name == DEFAULT_LOSS_DIR or not os.path.isfile(readme):
            continue
        with open(readme, encoding="utf-8") as f:
            title = f.readline().lstrip("#").strip()
        link = f"[{name}/]({name}/README.md)"
        kept.append(
            f"{link} (a leaderboard of its own)"
            if title == LEADERBOARD_TITLE
            else f"{link} ({title})"
        )
    if not kept:
        return []
    return [
        f"Kept beside these pages (each folder's README says what it holds): {'; '.join(kept)}.",
        "",
    ]


def write_leaderboard(out: str) -> str:
    """Rebuild ``<out>/README.md`` from the pages under ``<out>/<experiment>/``."""
    records = run_records(out)
    datasets = sorted({dataset for _, dataset in records})
    lines = [
        f"# {LEADERBOARD_TITLE}",
        "",
        *screen_lines(
            paired_differences(out, datasets),
            os.path.join(out, FIRST_SCREEN_PLOT),
            baselines_line(out, datasets),
        ),
        "Every page states its budget, machine, seeds and time. Protocol for all: time-ordered "
        "leave-one-out, the true next item ranked against 100 fixed sampled items, AUC (RecBole's "
        "GAUC over that ranking), HR@5, NDCG@5; test metrics at the epoch with the best "
        "validation NDCG@5; mean ± std over seeds, differences paired by seed. The paper's "
        "absolute numbers are not reproducible; these pages re-run its designs.",
        "",
        "Tuning ranges of the ATJT keys (paper Sec. 4.1.3, 4.2.2; the tuned columns search "
        "`properties/search/atjt-recognizer.yaml`, ATJT's keys alone):"
        " noise_learning_rate {0.0001, 0.001, 0.01, 0.1}, "
        f"replace_count {_braced(REPLACE_COUNTS)}, noise_ratio {_braced(NOISE_RATIOS)}, "
        "atjt_groups {2, 3, 4}, alpha log-uniform in [0.1, 10]. Defaults used unless a page "
        "says otherwise: "
        "`properties/overall.yaml`.",
        "",
        "Commands: `python -m experiments <name> --datasets ml-100k amazon-beauty "
        "--data_path ../shared/datasets --seeds 3 --budget cpu`.",
        "",
    ]
    lines += datasets_table(records)
    for budget in _budget_files(records):
        with open(os.path.join(PACKAGE_DIR, budget), encoding="utf-8") as f:
            lines += [f"Budget `{budget}`:", "", "```yaml", f.read().strip(), "```", ""]
    pages = page_texts(out)
    lines += coverage(pages, out)
    earlier = sorted(glob.glob(os.path.join(out, DEFAULT_LOSS_DIR, "*", "*.md")))
    if earlier:
        links = ", ".join(
            f"[{os.path.relpath(p, out)}]({os.path.relpath(p, out)})" for p in earlier
        )
        lines += [
            f"Earlier pages, of the code before the denoising rework (RecBole's default CE loss "
            f"for the sequential models, untuned ATJT): {links}.",
            "",
        ]
    lines += kept_folders(out)
    for name, texts in pages.items():
        lines += [f"## {TITLES[name]}", ""]
        for page, page_text in texts.items():
            rel = os.path.relpath(page, out)
            text = digest(page_text.split("\n", 1)[1])
            lines += [
                f"### [{_dataset(page)}]({rel})",
                *(["", f"*{EARLIER_CODE}*"] if _older_code(_page_runs(page, records)) else []),
                rebased_links(text, name),
                "",
            ]
    path = os.path.join(out, "README.md")
    os.makedirs(out, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return path
