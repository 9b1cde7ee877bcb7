"""Calibration against trained models (placeholder; the public API is wired later).

``mdmjax.calibrate._word_mdm`` holds a small trained masked-diffusion model of English words
(lengths 4 and 5), shipped as package data under ``mdmjax/calibrate/data/``.
"""
