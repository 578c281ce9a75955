// The page of the offline viewer file: the viewer's own page, its API answered from the file (offline-page.ts runs
// first: modules run in import order).
import './offline-page';
import './main';
