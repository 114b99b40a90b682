"""The database: the tables (`models`) and their migrations (`schema`, `migrations/`), engines and write
transactions (`db`), the reads that answer the pages (`queries`, `portfolio`, `history`, with `increments` keeping
reach pre-aggregated) and the writes, each one transaction with its audit entry (`commands`, `editing`, `admin`,
`auth`, `sessions`). `backup` copies the whole database out and back."""
