// A product: its PBIs with progress and cascade state, and the backlog import.
import type { PbiListItem } from '../../services/products/list-pbis.ts';
import type { ProductView } from '../../services/products/products.ts';
import { Badge, CostTotal, CsrfField, FlashMessage, Progress, TableWrap, type Flash } from './components.tsx';
import { repoWebUrl } from './format.ts';
import { Layout, type Viewer } from './layout.tsx';
import { JobCountBadges } from './products.tsx';

function CascadeState({ cascade }: { cascade: PbiListItem['cascade'] }) {
  if (!cascade) return <span class="muted">none</span>;
  if (cascade.status === 'running') return <Badge value="running" label="cascade" />;
  return cascade.open ? <Badge value="open" label="cascade done, PBI not reopened" /> : <Badge value="reopened" label="cascade" />;
}

export function ProductPage(props: { viewer: Viewer; product: ProductView; pbis: PbiListItem[]; apiBaseUrl: string | undefined; flash?: Flash }) {
  const { viewer, product, pbis } = props;
  return (
    <Layout title={product.name} viewer={viewer} active="products">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="/console">Products</a> / <span aria-current="page">{product.name}</span>
      </nav>
      <div class="page-head">
        <h1>{product.name}</h1>
        <p>
          <a href={repoWebUrl(props.apiBaseUrl, product.repo)}>{product.repo}</a> · base <code>{product.base_branch}</code> · story PRs{' '}
          {product.auto_pr ? 'opened automatically' : 'off'} · cost so far <CostTotal usage={product.usage} />
          {product.budget ? (
            <>
              {' '}
              · budget ${product.budget.budget_usd.replace(/0+$/, '').replace(/\.$/, '')}{' '}
              {product.budget.exceeded ? <Badge value="exceeded" label="budget" /> : null}
            </>
          ) : null}
        </p>
        <form method="post" action={`/console/products/${encodeURIComponent(product.id)}/reconcile`} class="inline-form">
          <CsrfField token={viewer.csrf} />
          <button type="submit" class="button-quiet">
            Reconcile pull requests
          </button>
        </form>
      </div>
      <FlashMessage flash={props.flash} />
      <h2>PBIs</h2>
      {pbis.length === 0 ? (
        <p class="muted">No PBIs yet: import a backlog below.</p>
      ) : (
        <TableWrap label="PBIs">
          <table>
            <thead>
              <tr>
                <th scope="col">PBI</th>
                <th scope="col">Stories</th>
                <th scope="col">Tasks done</th>
                <th scope="col">Jobs by status</th>
                <th scope="col">Cascade</th>
                <th scope="col">Cost</th>
              </tr>
            </thead>
            <tbody>
              {pbis.map((pbi) => (
                <tr>
                  <th scope="row">
                    <a href={`/console/pbis/${encodeURIComponent(pbi.id)}`}>
                      {pbi.code ? <span class="code">{pbi.code}</span> : null} {pbi.title}
                    </a>
                  </th>
                  <td>{pbi.stories}</td>
                  <td>
                    <Progress done={pbi.tasks_done} total={pbi.tasks_total} label={`tasks done of ${pbi.title}`} />
                  </td>
                  <td>
                    <JobCountBadges jobs={pbi.jobs} />
                  </td>
                  <td>
                    <CascadeState cascade={pbi.cascade} />
                  </td>
                  <td>
                    <CostTotal usage={pbi.usage} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <section class="card" aria-labelledby="import-title">
        <h2 id="import-title">Import a backlog</h2>
        <p class="muted">
          A JSON file as <code>POST /api/v1/admin/products/{'{id}'}/backlog</code> takes it: <code>{'{"pbis": [{"title", "stories": [{"title", "tasks": [{"title"}]}]}]}'}</code>. All
          or nothing: a bad field is named and nothing is created.
        </p>
        <form method="post" action={`/console/products/${encodeURIComponent(product.id)}/backlog`} enctype="multipart/form-data" class="stack">
          <CsrfField token={viewer.csrf} />
          <label for="backlog-file">Backlog file (JSON)</label>
          <input id="backlog-file" name="backlog" type="file" accept="application/json,.json" required />
          <button type="submit">Import</button>
        </form>
      </section>
    </Layout>
  );
}
