import { Router } from 'express';
import { createBrand } from '../../domain/schemas.js';
import type { Store } from '../../domain/store.js';
import { requireAdmin } from '../auth.js';

export function brandRoutes(store: Store, adminToken: string | undefined): Router {
  const router = Router();
  router.post('/v1/brands', requireAdmin(adminToken), async (req, res) => {
    const { name } = createBrand.parse(req.body);
    const { brand, apiKey } = await store.createBrand(name);
    // The key is shown this once; only its hash is kept.
    res.status(201).json({ id: brand.id, name: brand.name, createdAt: brand.created_at, apiKey });
  });
  return router;
}
