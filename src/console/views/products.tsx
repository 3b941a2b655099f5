// Products (/console): each product with its repository, base branch,
// installation state, jobs by status and open fail-cascades.
import type { JobCounts } from '../../services/jobs/job-counts.ts';
import type { ProductOverview } from '../../services/products/product-overview.ts';
import { Badge, CostTotal, FlashMessage, TableWrap, type Flash } from './components.tsx';
import { repoWebUrl } from './format.ts';
import { Layout, type Viewer } from './layout.tsx';

export function JobCountBadges({ jobs }: { jobs: JobCounts }) {
  const present = Object.entries(jobs).filter(([, n]) => n > 0);
  if (present.length === 0) return <span class="muted">no jobs</span>;
  return (
    <ul class="counts">
      {present.map(([status, n]) => (
        <li>
          <Badge value={status} label="jobs" /> <span class="count">{n}</span>
        </li>
      ))}
    </ul>
  );
}

export function ProductsPage({ viewer, products, apiBaseUrl, flash }: { viewer: Viewer; products: ProductOverview[]; apiBaseUrl: string | undefined; flash?: Flash }) {
  return (
    <Layout title="Products" viewer={viewer} active="products">
      <div class="page-head">
        <h1>Products</h1>
        <p class="muted">One GitHub repository each. Open a product for its PBIs and boards.</p>
      </div>
      <FlashMessage flash={flash} />
      {products.length === 0 ? (
        <div class="card empty">
          <p>No product yet. Add one for a repository the app is installed on:</p>
          <pre>
            <code>scrum4me product add owner/repo</code>
          </pre>
        </div>
      ) : (
        <TableWrap label="Products">
          <table>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Repository</th>
                <th scope="col">Base branch</th>
                <th scope="col">Installation</th>
                <th scope="col">Jobs by status</th>
                <th scope="col">Open cascades</th>
                <th scope="col">Cost so far</th>
              </tr>
            </thead>
            <tbody>
              {products.map((product) => (
                <tr>
                  <th scope="row">
                    <a href={`/console/products/${encodeURIComponent(product.id)}`}>{product.name}</a>
                  </th>
                  <td>
                    <a href={repoWebUrl(apiBaseUrl, product.repo)}>{product.repo}</a>
                  </td>
                  <td>
                    <code>{product.base_branch}</code>
                  </td>
                  <td>
                    <Badge value={product.installation_state} label="installation" />
                  </td>
                  <td>
                    <JobCountBadges jobs={product.jobs} />
                  </td>
                  <td>{product.open_cascades > 0 ? <Badge value="open" label={`${product.open_cascades} open cascades`} /> : null} {product.open_cascades}</td>
                  <td>
                    <CostTotal usage={product.usage} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Layout>
  );
}
