"""One module per rule. Each registers itself with `@rule`; `load_rules()` imports them all."""
