"""Figures and reports."""

from echostrain.report.strain_plot import plot_strain_curves

__all__ = ["plot_strain_curves"]
