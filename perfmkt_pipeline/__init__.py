"""perfmkt_pipeline: performance-marketing data into one warehouse, orchestrated by Dagster."""
