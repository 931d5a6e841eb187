import { useSyncExternalStore } from 'react';

// Two routes (the list, one show) need no router library: the History API and one event do it.
const subscribe = (listener: () => void) => {
  window.addEventListener('popstate', listener);
  return () => window.removeEventListener('popstate', listener);
};

export const usePath = () => useSyncExternalStore(subscribe, () => location.pathname);

export function navigate(path: string): void {
  history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}
