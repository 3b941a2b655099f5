// Ideas: worked by IDEA_GRILL and IDEA_MAKE_PLAN jobs instead of tasks.
import type { PrismaClient } from '../../db/client.ts';
import { notFound } from '../errors.ts';
import { lower } from '../present.ts';

export interface IdeaView {
  id: string;
  product_id: string;
  title: string;
  body: string | null;
  status: string;
}

export async function createIdea(
  prisma: PrismaClient,
  input: { product_id: string; title: string; body?: string | undefined },
): Promise<IdeaView> {
  const product = await prisma.product.findUnique({ where: { id: input.product_id }, select: { id: true } });
  if (!product) throw notFound('product', input.product_id);
  const idea = await prisma.idea.create({ data: { product_id: input.product_id, title: input.title, body: input.body ?? null } });
  return { id: idea.id, product_id: idea.product_id, title: idea.title, body: idea.body, status: lower(idea.status) };
}
