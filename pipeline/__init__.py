"""prep: data preparation and linting for contrastive embedding fine-tuning."""

__version__ = "0.1.0"
