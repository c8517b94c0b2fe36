import { Link } from 'react-router';
import { usePageTitle } from './page';

export function NotFound() {
  usePageTitle('Page not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>There is nothing at this address. <Link to="/">Browse all videos</Link> or search for one.</p>
    </>
  );
}
