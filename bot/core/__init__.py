"""What every feature shares: the database (engine, models, migrations), privacy (normalise,
validate, mask, redact, seal personal data), the working-day calendar and the common errors.
Imports no feature package."""
