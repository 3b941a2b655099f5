// What a console page answers when it cannot show what was asked.
import { FlashMessage } from './components.tsx';
import { Layout, type Viewer } from './layout.tsx';

export function ErrorPage({ viewer, title, message }: { viewer: Viewer | null; title: string; message: string }) {
  return (
    <Layout title={title} viewer={viewer}>
      <h1>{title}</h1>
      <FlashMessage flash={{ kind: 'error', text: message }} />
      <p>
        <a href="/console">Back to the products</a>
      </p>
    </Layout>
  );
}
