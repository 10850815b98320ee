/** The sentences the dummy model answers with: enough variety to look alive, small enough to ship. */
export const SENTENCES = [
  "I am a dummy model served by Ollaix, so everything I say is made up.",
  "Sure, I can help with that.",
  "Let us start with a small example and build from there.",
  "Python is a good choice for scripts, data work and quick prototypes.",
  "Remember to write a test before you change the code.",
  "A list comprehension is often clearer than a loop that appends.",
  "Here is one way to think about the problem.",
  "Streaming sends the answer word by word as it is generated.",
  "Every request you send me costs nothing and proves the gateway works.",
  "The quick brown fox jumps over the lazy dog.",
  "Readable code is written for the next person who reads it.",
  "If something fails, the error message should say what to do next.",
  "Small functions with clear names are easy to test.",
  "That is a great question, and the answer depends on the context.",
  "You can point any OpenAI client at this gateway by changing its base URL.",
  "Good defaults make a tool pleasant to use.",
] as const;
