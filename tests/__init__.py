"""Cross-plugin behaviour suite: every test runs on every installed system base."""
