"""Catalog: customers and products.

Other contexts read them through the `customer` and `products` ports the composition root hands them.
"""
