"""Objections (异议), challenges (质疑), inquiries (询问) and complaints (投诉) on statutory clocks."""
