"""Payment adapters: Stripe Checkout through its SDK, webhook signatures, the local test checkout."""
