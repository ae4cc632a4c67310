"""The targets of the throughput issue, kept with the report so a reader sees both."""

TARGETS = {
    "cpu_ms_per_workflow_max": 30,
    "workflows_per_s_min": 60,
    "ratio_to_skeleton_min": 0.5,
    "submit_to_inbox_p99_s_at_half_load_max": 0.25,
    "listing_p99_growth_1k_to_100k_max": 1.5,
}
