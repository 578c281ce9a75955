import { loadConfig } from './config';
import { Service } from './service';

async function main(): Promise<void> {
  const service = new Service(loadConfig());
  await service.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.log.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: Error) => {
        service.log.error({ error: error.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: Error) => {
  console.error(`go-profiler: ${error.message}`);
  process.exit(1);
});
