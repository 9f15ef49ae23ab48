"""Link preview cards: the first link of a status, fetched through the SSRF guard, kept per URL."""
