// Intentionally empty: FuzzerEntry only provides link-time entry points (see FuzzerEntry.c).
