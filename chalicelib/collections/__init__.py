"""Collections: boleto, Pix, fine and interest, installments. Pure rules; the API and storage come later."""
