"""Interaction cleaning: training interactions judged noisy are removed from the dataset
before RecBole builds its instances (``interaction_cleaning``; docs/cleaning.md).

The removal reaches the training targets, the histories at training and the histories at
evaluation; the model is unchanged. Detectors (``detectors.py``) score every training
interaction; ``selection.py`` picks what goes under the guards; ``oracle`` removes exactly
what the dataset's ground truth marks (the ceiling of removal).
"""
