"""Cross-cutting helpers: audit, crypto, errors, pagination, rendering, logging."""
