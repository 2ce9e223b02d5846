"""Orders: other contexts read an order through the `order` port the composition root hands them."""
