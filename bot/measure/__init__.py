"""Measuring the assistant: `make eval` (bot.measure.evaluation) and `make bench` (bot.measure.bench
and the benchmarks it runs). Commands that print figures; nothing here is imported by the
assistant itself."""
