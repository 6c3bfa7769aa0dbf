"""PostgreSQL backend for production: bulk loads by COPY, a small connection pool, the same schema."""
