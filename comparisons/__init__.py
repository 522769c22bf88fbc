"""Scripts that compare the models and write reports for the site (run by the main job)."""
