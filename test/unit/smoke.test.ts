import { ClientException } from '../../lib/errors';
test('errors carry their ECS name', () => {
  expect(new ClientException('x').name).toBe('ClientException');
});
