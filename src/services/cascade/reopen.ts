// S17: reopening a PBI closes its finished cascade, so a later failure starts a new one.
import type { PrismaClient } from '../../db/client.ts';
import { conflict, notFound } from '../errors.ts';

export async function reopenPbi(prisma: PrismaClient, pbiId: string): Promise<{ pbi_id: string; reopened_cascade_id: string | null }> {
  const pbi = await prisma.pbi.findUnique({ where: { id: pbiId }, select: { id: true } });
  if (!pbi) throw notFound('PBI', pbiId);
  const open = await prisma.cascade.findUnique({ where: { open_pbi_id: pbiId } });
  if (!open) return { pbi_id: pbiId, reopened_cascade_id: null };
  if (open.status !== 'DONE') {
    throw conflict(`the cascade ${open.id} of PBI ${pbiId} is still undoing GitHub work; reopen it once it is done`);
  }
  await prisma.cascade.update({ where: { id: open.id }, data: { open_pbi_id: null, reopened_at: new Date() } });
  return { pbi_id: pbiId, reopened_cascade_id: open.id };
}
