"""The regulator workbench: audit trails, rule alerts, operation log, risk signals, deviations, accountability."""
