/** The field an ECS validation message is about ("containerDefinitions[0].image", "Family ..."), if any. */
export const fieldOf = (message: string): string | undefined => {
  for (const match of message.matchAll(/([A-Za-z]+(?:\[\d+\])?(?:\.[A-Za-z]+(?:\[\d+\])?)*)/g)) {
    const candidate = match[1];
    const root = candidate.split(/[.[]/)[0];
    const known = ['family', 'cpu', 'memory', 'containerDefinitions', 'networkMode', 'requiresCompatibilities', 'executionRoleArn', 'taskRoleArn', 'volumes', 'tags'];
    const name = known.find((key) => key.toLowerCase() === root.toLowerCase());
    if (name) return name + candidate.slice(root.length);
  }
  return undefined;
};
