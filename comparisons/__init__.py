"""Generators that compare the models: reports and site pages built from runs."""
