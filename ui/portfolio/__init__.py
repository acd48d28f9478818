"""The Portfolio panel: dashboard, investments, payment calendar, products and statements."""
